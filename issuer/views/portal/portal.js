// Vendor portal: the only script. The copy button (pages work without it) and focus on the outcome.
document.addEventListener('DOMContentLoaded', () => {
  const flash = document.getElementById('flash');
  if (flash) flash.focus();
  for (const button of document.querySelectorAll('[data-copy]')) {
    const field = document.getElementById(button.getAttribute('data-copy'));
    const status = button.parentElement.querySelector('[data-copy-status]');
    if (!field || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(field.value).then(
        () => {
          if (status) status.textContent = 'Copied.';
        },
        () => {
          field.select();
          if (status) status.textContent = 'Select the key and copy it.';
        },
      );
    });
  }
});
