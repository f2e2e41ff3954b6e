"""Geometry checks for the browser tests: nothing clipped, no chart wider than its box, no mark
outside its plot, legends that tell series apart, no chart text drawn over other text. Each
function returns the offenders (empty when all is well)."""

from __future__ import annotations

from typing import Any

# HTML elements whose content is wider than their box while the box does not scroll.
_OVERFLOWING = """(root) => {
  const out = [];
  for (const el of document.querySelectorAll(root + ' *')) {
    const skip = ['INPUT', 'SELECT', 'TEXTAREA', 'OPTION'];
    if (el instanceof SVGElement || skip.includes(el.tagName)) continue;
    if (el.closest('svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const scrolls = ['auto', 'scroll'].includes(style.overflowX);
    if (!scrolls && el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0) {
      const name = el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
      out.push(`${name}: content ${el.scrollWidth}px in ${el.clientWidth}px`);
    }
  }
  return out;
}"""

# Charts wider than their box: they scroll sideways instead of being drawn to its width.
_SCROLLING_CHARTS = """(root) => {
  const out = [];
  for (const box of document.querySelectorAll(root + ' .vega-embed')) {
    const r = box.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (box.scrollWidth > box.clientWidth + 2) {
      const host = box.closest('[class*="diaglab-"][class*="-chart"], [class*="diaglab-"]');
      const name = host ? [...host.classList].filter(c => c.startsWith('diaglab-')).join('.') : '';
      const fit = box.dataset.fit ? ` (${box.dataset.fit})` : '';
      out.push(`chart ${name}: ${box.scrollWidth}px wide in a ${box.clientWidth}px box${fit}`);
    }
  }
  return out;
}"""

# Vega marks drawn outside their plot's frame (the cell's background rect), unless clipped.
_OUTSIDE = """(root) => {
  const out = [];
  for (const svg of document.querySelectorAll(root + ' .vega-embed svg')) {
    for (const cell of svg.querySelectorAll('g.mark-group.role-scope > g')) {
      const bg = cell.querySelector(':scope > path.background');
      if (!bg) continue;
      const frame = bg.getBoundingClientRect();
      if (frame.width === 0) continue;
      for (const group of cell.querySelectorAll(':scope > g > g.role-mark')) {
        if (group.closest('[clip-path]')) continue;  // clipped to the plot
        const kind = [...group.classList].find(c => c.startsWith('mark-')) || 'mark';
        if (kind === 'mark-group') continue;
        for (const item of group.children) {
          const b = item.getBoundingClientRect();
          if (b.width === 0 && b.height === 0) continue;
          const slack = 3;
          if (b.left < frame.left - slack || b.right > frame.right + slack ||
              b.top < frame.top - slack || b.bottom > frame.bottom + slack) {
            const box = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round).join(',');
            out.push(`${kind} at ${box(b)} outside its plot ${box(frame)}`);
            break;
          }
        }
      }
    }
  }
  return out;
}"""

# Legends whose entries share one look (shape, fill, stroke, dash): no reader tells them apart.
_LEGENDS = """(root) => {
  const out = [];
  for (const legend of document.querySelectorAll(root + ' .vega-embed svg g.role-legend')) {
    const symbols = [...legend.querySelectorAll('g.role-legend-symbol path')];
    if (symbols.length < 2) continue;
    const looks = symbols.map(p => {
      const s = getComputedStyle(p);
      return [p.getAttribute('d'), p.getAttribute('fill') || s.fill,
              p.getAttribute('stroke') || s.stroke, p.getAttribute('stroke-dasharray') || '',
              p.getAttribute('opacity') || ''].join('|');
    });
    if (new Set(looks).size < looks.length) {
      const title = legend.querySelector('.role-legend-title')?.textContent || '(untitled)';
      out.push(`legend ${title}: ${looks.length} entries, ${new Set(looks).size} distinct symbols`);
    }
  }
  return out;
}"""


# Chart titles and labels (titles, axis titles, facet headers, legend titles) drawn over one
# another: e.g. a facet's row name rotated into the y-axis title beside it.
_OVERLAPPING_TEXT = """(root) => {
  const out = [];
  const kinds = 'g.role-title text, g.role-axis-title text, g.role-legend-title text, ' +
    'g[class*="header"] text';
  for (const svg of document.querySelectorAll(root + ' .vega-embed svg')) {
    const texts = [...svg.querySelectorAll(kinds)]
      .filter(t => (t.textContent || '').trim())
      .map(t => ({t, r: t.getBoundingClientRect()}))
      .filter(({r}) => r.width > 0 && r.height > 0);
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].r, b = texts[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 2 && h > 2) {
          const name = (k) => `"${texts[k].t.textContent.trim()}"`;
          out.push(`${name(i)} overlaps ${name(j)}`);
        }
      }
    }
  }
  return out;
}"""

# Every chart shown under the root has been drawn for the width its box has now.
_FITTED = """(root) => [...document.querySelectorAll(root + ' .diaglab-chart-host')]
  .filter(el => el.clientWidth > 0 && el.querySelector('svg, canvas'))
  .every(el => el.dataset.fitBox === String(el.clientWidth))"""


def wait_fitted(page: Any, root: str, *, timeout: float = 60_000) -> None:
    """Wait until every chart under ``root`` was redrawn for its box's current width."""
    page.wait_for_function(_FITTED, arg=root, timeout=timeout)


def overflowing(page: Any, root: str) -> list[str]:
    """Boxes under ``root`` whose content is wider than they are and that do not scroll."""
    return list(page.evaluate(_OVERFLOWING, root))


def scrolling_charts(page: Any, root: str) -> list[str]:
    """Charts under ``root`` drawn wider than their box (so they scroll sideways)."""
    return list(page.evaluate(_SCROLLING_CHARTS, root))


def marks_outside(page: Any, root: str) -> list[str]:
    """Chart marks under ``root`` drawn beyond their plot's frame without a clip."""
    return list(page.evaluate(_OUTSIDE, root))


def indistinct_legends(page: Any, root: str) -> list[str]:
    """Legends under ``root`` with two entries drawn alike."""
    return list(page.evaluate(_LEGENDS, root))


def overlapping_text(page: Any, root: str) -> list[str]:
    """Chart titles, axis titles, facet headers and legend titles under ``root`` drawn over
    one another."""
    return list(page.evaluate(_OVERLAPPING_TEXT, root))


def check(page: Any, root: str) -> list[str]:
    """Every geometry problem under ``root``."""
    return (
        overflowing(page, root)
        + scrolling_charts(page, root)
        + marks_outside(page, root)
        + indistinct_legends(page, root)
        + overlapping_text(page, root)
    )
