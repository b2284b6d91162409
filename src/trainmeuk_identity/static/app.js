// Copy buttons: <button data-copy="#element-id">Copy</button> copies that input's value.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    // Clipboard API unavailable (plain http outside localhost): select for Ctrl+C.
    source.select && source.select();
    document.execCommand && document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Toggles that save at once: <input type="checkbox" data-autosubmit> submits its form.
document.addEventListener("change", (event) => {
  const input = event.target.closest("[data-autosubmit]");
  if (input && input.form) input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
});
