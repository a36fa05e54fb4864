// Copies the follow handle; the page works without it (the handle is plain text).
document.querySelectorAll("button.copy").forEach((button) => {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = button.dataset.done || "✓";
    } catch (error) {
      window.getSelection().selectAllChildren(document.getElementById("handle"));
    }
  });
});
