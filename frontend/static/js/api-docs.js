// Swagger UI from the locally served bundle; no online validator, no external requests.
window.addEventListener("load", () => {
  const element = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: element.dataset.specUrl,
    domNode: element,
    validatorUrl: null,
    deepLinking: true,
  });
});
