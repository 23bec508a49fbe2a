// The API documentation page (/api/v1/docs): Swagger UI on the document named by the page.
// A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
"use strict";

// What axe finds in Swagger UI's own markup, mended once it has rendered (the colours are in
// static/css/api-docs.css). Attributes only: React keeps attributes it does not manage.
function mendAccessibility(root) {
  // Swagger UI's <main id="operations"> is the page's main landmark; the document's description and
  // the server picker above it get named regions, so no content is outside a landmark.
  for (const [selector, label] of [[".information-container", root.dataset.infoLabel],
                                   [".scheme-container", root.dataset.serversLabel]]) {
    const part = root.querySelector(selector);
    if (part) {
      part.setAttribute("role", "region");
      part.setAttribute("aria-label", label);
    }
  }
  // The page's <h1> is ours: the document's title is one level below, so the tag headings (h3) follow in order.
  const title = root.querySelector(".info .title");
  if (title) title.setAttribute("aria-level", "2");
  // The server picker's <label> is empty.
  const servers = root.querySelector("select#servers");
  if (servers) servers.setAttribute("aria-label", root.dataset.serversLabel);
}

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.documentUrl,
    domNode: root,
    // No deep links: they put a link inside each operation's toggle button (axe: nested-interactive).
    deepLinking: false,
    validatorUrl: null, // no call to swagger.io: the app works with no internet at all
    // "Try it out" for reads only: writes need a device token or the CSRF header, which this page has not.
    supportedSubmitMethods: ["get"],
    onComplete: () => {
      mendAccessibility(root);
      root.dataset.ready = "true";
    },
  });
});
