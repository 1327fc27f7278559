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

    // The row the keyboard is on (the focus in it) and its place: when a redraw takes that row
    // away (Delete removed it, another window did), the focus would fall to <body>, where the
    // arrows do nothing and a screen reader says nothing; it goes to the row now in its place.
    let held = null;

    function refresh() {
      const all = rows();
      const current = all.find((li) => li.tabIndex === 0 && li.isConnected) ?? all[0];
      for (const li of all) li.tabIndex = li === current ? 0 : -1;
      if (held && held.row.isConnected) held.index = all.indexOf(held.row);
      else if (held) {
        const lost = !doc.activeElement || doc.activeElement === doc.body;
        const next = all[Math.min(held.index, all.length - 1)];
        held = null;
        if (lost && next) focusRow(next);
      }
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
      held = row ? { row, index: rows().indexOf(row) } : null;
      if (row && row.tabIndex !== 0) for (const li of rows()) li.tabIndex = li === row ? 0 : -1;
    });
    // Focus sent elsewhere on purpose (a click on the page's background) while the row is still
    // there: a later redraw must not pull it back.
    doc.addEventListener("focusout", () => {
      const was = held;
      queueMicrotask(() => {
        if (held === was && was && was.row.isConnected && (!doc.activeElement || doc.activeElement === doc.body)) held = null;
      });
    });
    return refresh;
  }

  root.paxelRowKeys = Object.freeze({ attach });
})(globalThis);
