// The review queue: one checkbox ticks or clears every row of the page.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => document.querySelectorAll('#queue input[name="ids"]');
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
});
