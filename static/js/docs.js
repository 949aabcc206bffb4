// The API documentation page: Swagger UI (from npm) over our own /openapi.json.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({ url: root.dataset.spec, domNode: root, deepLinking: true });
});
