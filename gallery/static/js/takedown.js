// The takedown form's box widget: draw one or more boxes on the photo (drag with the mouse or a
// finger; or "Add a box", then arrow keys move it, Shift+arrow keys resize it, Delete removes
// it).  The boxes go into the hidden field as JSON fractions of the photo as displayed.  Without
// JavaScript the field stays empty and the request goes in without boxes.
const fieldset = document.getElementById("takedown-boxes");
const canvas = fieldset && fieldset.querySelector(".takedown-canvas");
const image = document.getElementById("takedown-photo");

if (fieldset && canvas && image) {
  const input = document.getElementById(fieldset.dataset.boxesInput);
  const tools = fieldset.querySelector(".takedown-box-tools");
  const count = fieldset.querySelector(".box-count");
  const MAX = 20;
  const STEP = 0.02;
  const MIN = 0.02;
  let boxes = [];
  let selected = -1;
  try {
    const saved = JSON.parse(input.value || "[]");
    if (Array.isArray(saved)) boxes = saved.slice(0, MAX);
  } catch (_) {
    boxes = [];
  }
  tools.hidden = false;
  canvas.classList.add("drawable");

  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
  const round = (value) => Math.round(value * 1e6) / 1e6;

  function fit(box) {
    const w = clamp(box.w, MIN, 1);
    const h = clamp(box.h, MIN, 1);
    return { x: round(clamp(box.x, 0, 1 - w)), y: round(clamp(box.y, 0, 1 - h)), w: round(w), h: round(h) };
  }

  function render(focus) {
    canvas.querySelectorAll(".takedown-box").forEach((el) => el.remove());
    boxes.forEach((box, index) => {
      const el = document.createElement("div");
      el.className = "takedown-box" + (index === selected ? " selected" : "");
      el.tabIndex = 0;
      el.setAttribute("role", "button");
      el.setAttribute("aria-describedby", "boxes-hint");
      el.setAttribute(
        "aria-label",
        `${index + 1}: ${Math.round(box.x * 100)}% ${Math.round(box.y * 100)}%, ${Math.round(box.w * 100)}% × ${Math.round(box.h * 100)}%`,
      );
      el.style.left = `${box.x * 100}%`;
      el.style.top = `${box.y * 100}%`;
      el.style.width = `${box.w * 100}%`;
      el.style.height = `${box.h * 100}%`;
      el.dataset.index = String(index);
      el.addEventListener("focus", () => {
        if (selected !== index) {
          selected = index;
          canvas.querySelectorAll(".takedown-box").forEach((other) => other.classList.toggle("selected", other === el));
        }
      });
      el.addEventListener("keydown", onKey);
      canvas.appendChild(el);
      if (focus && index === selected) el.focus();
    });
    input.value = boxes.length ? JSON.stringify(boxes) : "";
    count.textContent = count.dataset.countTemplate.replace("{n}", String(boxes.length));
  }

  function onKey(event) {
    const index = Number(event.currentTarget.dataset.index);
    const box = { ...boxes[index] };
    const moves = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] };
    if (event.key in moves) {
      const [dx, dy] = moves[event.key];
      if (event.shiftKey) {
        box.w += dx;
        box.h += dy;
      } else {
        box.x += dx;
        box.y += dy;
      }
      boxes[index] = fit(box);
      selected = index;
      render(true);
      event.preventDefault();
    } else if (event.key === "Delete" || event.key === "Backspace") {
      remove(index);
      event.preventDefault();
    }
  }

  function add(box) {
    if (boxes.length >= MAX) return;
    boxes.push(fit(box));
    selected = boxes.length - 1;
    render(true);
  }

  function remove(index) {
    if (index < 0 || index >= boxes.length) return;
    boxes.splice(index, 1);
    selected = Math.min(index, boxes.length - 1);
    render(true);
  }

  fieldset.querySelector("[data-add-box]").addEventListener("click", () => add({ x: 0.4, y: 0.4, w: 0.2, h: 0.2 }));
  fieldset.querySelector("[data-remove-box]").addEventListener("click", () => remove(selected));

  // Drawing with a pointer: press on the photo, drag, release.
  let start = null;
  let drawing = null;
  function point(event) {
    const rect = image.getBoundingClientRect();
    return { x: clamp((event.clientX - rect.left) / rect.width, 0, 1), y: clamp((event.clientY - rect.top) / rect.height, 0, 1) };
  }
  canvas.addEventListener("pointerdown", (event) => {
    if (event.target !== image || boxes.length >= MAX) return;
    start = point(event);
    drawing = document.createElement("div");
    drawing.className = "takedown-box drawing";
    canvas.appendChild(drawing);
    canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!start) return;
    const now = point(event);
    drawing.style.left = `${Math.min(start.x, now.x) * 100}%`;
    drawing.style.top = `${Math.min(start.y, now.y) * 100}%`;
    drawing.style.width = `${Math.abs(now.x - start.x) * 100}%`;
    drawing.style.height = `${Math.abs(now.y - start.y) * 100}%`;
  });
  canvas.addEventListener("pointerup", (event) => {
    if (!start) return;
    const now = point(event);
    const box = { x: Math.min(start.x, now.x), y: Math.min(start.y, now.y), w: Math.abs(now.x - start.x), h: Math.abs(now.y - start.y) };
    drawing.remove();
    start = null;
    drawing = null;
    if (box.w >= MIN && box.h >= MIN) {
      add(box);
      const blur = document.querySelector('input[name="action"][value="blur"]');
      if (blur) blur.checked = true;
    }
  });

  render(false);
}
