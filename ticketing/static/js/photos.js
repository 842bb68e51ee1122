/* Photos made small in the browser before upload (progressive enhancement: without this
   script, or where a photo cannot be drawn, e.g. HEIC, the original is sent and the server
   re-encodes it). Inputs opt in with data-resize="<long side in px>". */
(function () {
  "use strict";
  if (!window.DataTransfer || !window.HTMLCanvasElement || !HTMLCanvasElement.prototype.toBlob) return;
  var DRAWABLE = /^image\/(jpeg|png|webp)$/;
  var QUALITY = 0.8;

  function shrink(file, longSide) {
    return new Promise(function (resolve) {
      if (!DRAWABLE.test(file.type)) { resolve(file); return; }
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        var w = img.naturalWidth, h = img.naturalHeight;
        var scale = Math.min(1, longSide / Math.max(w, h));
        if (scale === 1 && file.size < 400 * 1024) { resolve(file); return; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * scale));
        canvas.height = Math.max(1, Math.round(h * scale));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";  /* transparent PNG areas become white, not black */
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function busy(form, on) {
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = on;
    form.classList.toggle("is-busy", on);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-resize]") || !input.files.length) return;
    if (input.dataset.shrunk === "1") { input.dataset.shrunk = ""; return; }
    var longSide = parseInt(input.dataset.resize, 10) || 1600;
    var form = input.form;
    var status = form && form.querySelector("[data-photo-status]");
    if (form) busy(form, true);
    if (status) status.textContent = input.dataset.busyText || "";
    Promise.all(Array.prototype.map.call(input.files, function (f) { return shrink(f, longSide); }))
      .then(function (files) {
        var dt = new DataTransfer();
        files.forEach(function (f) { dt.items.add(f); });
        input.dataset.shrunk = "1";
        input.files = dt.files;
        input.dataset.shrunk = "";
        var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
        if (status) status.textContent = (input.dataset.doneText || "").replace("%s", Math.ceil(total / 1024) + " KB");
      })
      .catch(function () { if (status) status.textContent = ""; })
      .then(function () { if (form) busy(form, false); });
  });
})();
