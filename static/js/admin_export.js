// The admin's export page (templates/admin/import_export/export.html): the "Select all" box
// ticks or clears every field, with django-import-export's own handler.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("select-all-toggle");
  if (toggle) toggle.addEventListener("change", onSelectToggleChange);
});
