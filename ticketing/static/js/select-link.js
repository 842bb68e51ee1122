// Select the whole one-time link when its box gets focus (no inline handlers: CSP).
document.addEventListener("focusin", function (event) {
  var target = event.target;
  if (target instanceof HTMLInputElement && target.classList.contains("link-box")) {
    target.select();
  }
});
