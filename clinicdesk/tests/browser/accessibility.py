"""axe-core over every page a browser test opens, failing the test on any WCAG 2.1 A/AA violation.

`AxeWatch.attach(context)` gives a browser context axe-core (the copy axe-playwright-python
ships) and a small script that runs it in each page: when the page has loaded and after every
htmx swap has settled (debounced, one run at a time), and once more when the test closes the
context or ends. A run reports its violations to Python through a binding, so the check costs
the test no round trips and never races its clicks. The violations are kept per page address,
rule and element, and `AxeWatch.report()` lists them readably: rule id, impact, the element's
selector, the page.

The pages run axe from an init script, which the browser evaluates outside the page's content
security policy, so the policy the pages are tested under stays the production one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import BrowserContext, Error, Page

# WCAG 2.0 and 2.1, levels A and AA.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

RUNNER = """
(() => {
  if (window.top !== window || window.__clinicdeskAxe) return;
  const options = { runOnly: { type: "tag", values: %(tags)s }, resultTypes: ["violations"] };
  let queue = Promise.resolve();
  let timer = null;
  const compact = (v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary || "" })),
  });
  const run = () => {
    clearTimeout(timer);
    timer = null;
    queue = queue.then(async () => {
      if (document.readyState !== "complete") return;
      try {
        const results = await axe.run(document, options);
        await window.__clinicdeskAxeReport(location.href, results.violations.map(compact), "");
      } catch (error) {
        await window.__clinicdeskAxeReport(location.href, [], String(error));
      }
    });
    return queue;
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(run, 150); };
  window.__clinicdeskAxe = { now: run };
  window.addEventListener("load", soon);
  document.addEventListener("htmx:afterSettle", soon);
})();
"""


@dataclass
class AxeWatch:
    """The violations found in the pages of the contexts it watches, and how many runs found them."""

    violations: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)  # the addresses of the pages axe ran in
    runs: int = 0

    def attach(self, context: BrowserContext) -> None:
        """Check every page of `context`, and check its open pages once more before it closes."""
        context.expose_binding("__clinicdeskAxeReport", self._record)
        context.add_init_script(script=AXE_SCRIPT)
        context.add_init_script(script=RUNNER % {"tags": json.dumps(list(TAGS))})
        close = context.close

        def check_then_close(**kwargs: Any) -> None:
            self.check_pages(context)
            close(**kwargs)

        context.close = check_then_close  # type: ignore[method-assign]  # the test's own close checks first

    def check_pages(self, context: BrowserContext) -> None:
        """Run axe now in every open page of `context`, as they are when the test leaves them."""
        for page in context.pages:
            self.check_page(page)

    def check_page(self, page: Page) -> None:
        if page.is_closed():
            return
        for _attempt in range(3):
            try:
                page.wait_for_load_state("load")
                page.evaluate("() => window.__clinicdeskAxe && window.__clinicdeskAxe.now()")
                return
            except Error as error:  # the page navigated while axe ran: check the page it went to
                if "context was destroyed" not in str(error) and "navigat" not in str(error):
                    raise

    def _record(self, source: dict[str, Any], url: str, violations: list[dict[str, Any]], error: str) -> None:
        self.runs += 1
        self.checked.add(url)
        if error:
            self.errors.append(f"axe-core failed on {url}: {error}")
        for violation in violations:
            for node in violation["nodes"]:
                key = (url, violation["id"], node["target"])
                self.violations.setdefault(key, {**violation, "node": node, "url": url})

    def report(self) -> str:
        """The violations found, one line per page, rule and element, grouped by page; '' when none."""
        if not self.violations and not self.errors:
            return ""
        lines = [f"axe-core found {len(self.violations)} WCAG 2.1 A/AA violation(s) ({', '.join(TAGS)}):"]
        for (url, rule, target), found in sorted(self.violations.items()):
            node = found["node"]
            lines.append(f"- {rule} ({found['impact']}) at {target} on {url}: {found['help']}")
            lines.append(f"    {node['html']}")
            lines.extend(f"    {line}" for line in node["summary"].splitlines() if line.strip())
        lines.extend(self.errors)
        return "\n".join(lines)
