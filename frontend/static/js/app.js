// Select the whole secret when a shown-once value (token, invitation link) gets focus.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("input[data-copy]")) event.target.select();
});

// --- Production pages: small enhancements; every form also works without JavaScript. -----

// Ask before a form marked data-confirm (or a button marked so) is sent.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Filter a box of checkboxes to the codes a select allows (machine kind → processes,
// machine → processes). Hidden boxes are unchecked; a single remaining choice is checked.
function filterChoices(box, allowed) {
  box.querySelectorAll("label.choice").forEach((label) => {
    const visible = allowed === null || allowed.includes(label.dataset.code);
    label.hidden = !visible;
    if (!visible) label.querySelector("input").checked = false;
  });
  box.querySelectorAll(".choice-group").forEach((group) => {
    group.hidden = !group.querySelector("label.choice:not([hidden])");
  });
  const shown = box.querySelectorAll("label.choice:not([hidden]) input");
  if (allowed !== null && shown.length === 1) shown[0].checked = true;
}

function setUpMachineForm(form) {
  const map = JSON.parse(form.dataset.kindProcesses);
  const kind = form.querySelector("select[name=kind]");
  const box = form.querySelector('[data-filter="kind"]');
  const update = () => {
    filterChoices(box, map[kind.value] || []);
    form.querySelectorAll("[data-kind]").forEach((fieldset) => {
      const active = fieldset.dataset.kind === kind.value;
      fieldset.hidden = !active;
      fieldset.querySelectorAll("input").forEach((input) => { input.disabled = !active; });
    });
  };
  kind.addEventListener("change", update);
  update();
}

function setUpListingForm(form) {
  const map = JSON.parse(form.dataset.machineProcesses);
  const machine = form.querySelector("select[name=machine_id]");
  const box = form.querySelector('[data-filter="machine"]');
  const update = () => {
    const processes = map[machine.value];
    box.querySelectorAll("label.choice").forEach((label) => { label.hidden = false; });
    filterChoices(box, processes === undefined ? null : processes);
  };
  machine.addEventListener("change", update);
  update();
}

// The award form: live totals of the pieces and the value being awarded.
function setUpAwardForm(form) {
  const ordered = Number(form.dataset.ordered);
  const language = document.documentElement.lang || "en";
  const money = new Intl.NumberFormat(language, { style: "currency", currency: form.dataset.currency });
  const pieces = new Intl.NumberFormat(language);
  const quantityOut = form.querySelector("[data-award-quantity]");
  const valueOut = form.querySelector("[data-award-value]");
  const update = () => {
    let quantity = 0;
    let value = 0;
    form.querySelectorAll(".award-input").forEach((input) => {
      const count = Math.max(0, Math.floor(Number(input.value) || 0));
      quantity += count;
      value += count * Number(input.dataset.unitPrice);
    });
    quantityOut.textContent = pieces.format(quantity);
    quantityOut.classList.toggle("over", quantity > ordered);
    valueOut.textContent = money.format(value);
  };
  form.addEventListener("input", update);
  update();
}

// Refuse a drawing that is too large before it is uploaded (the server refuses it too).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches("input[type=file][data-max-bytes]")) return;
  let note = input.parentElement.querySelector("[data-file-error]");
  const tooBig = input.files.length && input.files[0].size > Number(input.dataset.maxBytes);
  if (tooBig) {
    if (!note) {
      note = document.createElement("small");
      note.dataset.fileError = "";
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = input.dataset.tooBig;
    input.value = "";
  } else if (note) {
    note.remove();
  }
});

// A select marked data-autosubmit sends its form when changed (the button stays for no-JS).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});

// The minimum lot only matters when the order may be split.
function setUpOrderForm(form) {
  const split = form.querySelector("input[name=splittable]");
  const lot = form.querySelector(".split-only");
  if (!split || !lot) return;
  const update = () => { lot.hidden = !split.checked; };
  split.addEventListener("change", update);
  update();
}

function setUpProductionForms(root) {
  root.querySelectorAll("form[data-kind-processes]").forEach(setUpMachineForm);
  root.querySelectorAll("form[data-machine-processes]").forEach(setUpListingForm);
  root.querySelectorAll("form#award-form").forEach(setUpAwardForm);
  root.querySelectorAll("form.order-form").forEach(setUpOrderForm);
}

document.addEventListener("DOMContentLoaded", () => setUpProductionForms(document));
