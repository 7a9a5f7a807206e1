// Select the whole secret when a shown-once value (token, invitation link) gets focus.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("input[data-copy]")) event.target.select();
});
