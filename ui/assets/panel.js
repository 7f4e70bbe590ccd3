// Runs once, when the side panel loads (gr.HTML js_on_load: `element`, `props`, `server`).
// A click on a citation ([n]) or an article link anywhere on the page asks the server for
// the article with the cited span highlighted, shows it here, and scrolls the span into view.
const panel = element;
// Scroll the panel (not the page) so the highlighted span sits in its upper third.
const scrollToMark = () => {
  const mark = panel.querySelector("mark.cited");
  if (!mark) { return false; }
  let box = mark.parentElement;
  while (box && box !== panel.parentElement && box.scrollHeight <= box.clientHeight + 1) { box = box.parentElement; }
  if (box && box.scrollHeight > box.clientHeight + 1) {
    const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - box.clientHeight / 3;
  }
  panel.scrollIntoView({ block: "nearest" });
  return true;
};
document.addEventListener("click", async (event) => {
  const link = event.target.closest ? event.target.closest("a.cite, a.article-link") : null;
  if (!link) { return; }
  event.preventDefault();
  event.stopPropagation();
  document.querySelectorAll("a.cite.active, a.article-link.active").forEach((a) => a.classList.remove("active"));
  link.classList.add("active");
  panel.dataset.state = "loading";
  const before = panel.innerHTML;  // the last article, until the new one renders
  try {
    props.value = await server.open_source(link.getAttribute("href"));
  } catch (err) {
    props.value = '<div class="source missing"><p>The server did not answer; is it still running?</p></div>';
  }
  // The template re-renders on the next frames; scroll once the highlighted span is there.
  for (let frame = 0; frame < 30 && panel.innerHTML === before; frame++) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  for (let frame = 0; frame < 30 && !scrollToMark(); frame++) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  panel.dataset.state = "shown";
}, true);
