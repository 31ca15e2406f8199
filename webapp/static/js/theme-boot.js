// Runs before the page is drawn (a classic script in <head>) so a chosen theme never flashes.
try {
  const theme = localStorage.getItem("kaap.theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch {
  // storage unavailable: follow the system
}
