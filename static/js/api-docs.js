// The API documentation page (/api/v1/docs): Swagger UI on the document named by the page.
// A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.documentUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // no call to swagger.io: the app works with no internet at all
    // "Try it out" for reads only: writes need a device token or the CSRF header, which this page has not.
    supportedSubmitMethods: ["get"],
    onComplete: () => { root.dataset.ready = "true"; },
  });
});
