// Login and registration pages: plain forms that work without script. This stops a double
// submit (a second click while the first request is on its way) and, on registration, says
// at once when the two passwords differ instead of after a round trip.
for (const form of document.querySelectorAll("form.account-form")) {
  const confirm = form.querySelector("input[name=confirm]");
  const password = form.querySelector("input[name=password]");
  const check = () => {
    if (!confirm) return;
    const differ = confirm.value !== "" && confirm.value !== password.value;
    confirm.setCustomValidity(differ ? "The two passwords differ." : "");
    confirm.setAttribute("aria-invalid", String(differ));
  };
  confirm?.addEventListener("input", check);
  password?.addEventListener("input", check);
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    queueMicrotask(() => {
      if (button) button.disabled = true;
    });
  });
}
