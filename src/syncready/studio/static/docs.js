/* The OpenAPI page, from the vendored swagger-ui (no CDN). */
window.addEventListener('load', function () {
  var node = document.getElementById('swagger-ui');
  window.SwaggerUIBundle({ url: node.dataset.openapi, dom_id: '#swagger-ui' });
});
