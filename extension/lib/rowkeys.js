// Keyboard for the lists of downloads, the same in the popup and the panel: one row is in the tab
// order at a time (a roving tabindex), the arrows, Home/End and PageUp/PageDown move between rows,
// and keys on a row press the row's own button for that key (listing.js keyAction: Enter opens
// or resumes, Space pauses or resumes, Delete removes an ended one) — a row only has the buttons
// its state allows, so a key can do nothing the mouse could not. "/" goes to the search box.
//
// ONE source file, shared like format.js (paxel/panel/assets.py SHARED): `globalThis.paxelRowKeys`.
"use strict";

(function (root) {
  const ROW = "li.download";

  function typing(target) {
    return !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  /**
   * Make the rows `rows()` returns (in screen order) reachable by keyboard in `doc`.
   * `search`: the element "/" focuses (optional). Returns `refresh()`, to call after each redraw:
   * it keeps exactly one row in the tab order (the focused one, else the first).
   */
  function attach(doc, { rows, search }) {
    const listing = root.paxelListing;

    function refresh() {
      const all = rows();
      const current = all.find((li) => li.tabIndex === 0 && li.isConnected) ?? all[0];
      for (const li of all) li.tabIndex = li === current ? 0 : -1;
    }

    function focusRow(li) {
      for (const other of rows()) other.tabIndex = other === li ? 0 : -1;
      li.focus();
    }

    doc.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "/" && search && !typing(event.target)) {
        event.preventDefault();
        search.focus();
        return;
      }
      const row = event.target.closest ? event.target.closest(ROW) : null;
      if (!row) return;
      const all = rows();
      const next = listing.nextRow(event.key, all.indexOf(row), all.length);
      if (next !== null && !typing(event.target)) {
        event.preventDefault();
        focusRow(all[next]);
        return;
      }
      if (event.target !== row) return; // a key on one of its buttons is that button's
      const action = listing.keyAction(event.key, row.dataset.state);
      const button = action && row.querySelector(`button[data-action="${action}"]:not(:disabled)`);
      if (button) {
        event.preventDefault();
        button.click();
      }
    });
    doc.addEventListener("focusin", (event) => {
      const row = event.target.closest ? event.target.closest(ROW) : null;
      if (row && row.tabIndex !== 0) for (const li of rows()) li.tabIndex = li === row ? 0 : -1;
    });
    return refresh;
  }

  root.paxelRowKeys = Object.freeze({ attach });
})(globalThis);
