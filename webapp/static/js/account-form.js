// Login and registration pages: plain forms that work without script. This only stops a
// double submit (a second click while the first request is on its way).
for (const form of document.querySelectorAll("form.account-form")) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    queueMicrotask(() => { if (button) button.disabled = true; });
  });
}
