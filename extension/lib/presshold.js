// A press on a list of downloads is not moved under the pointer, the same in the popup and the
// panel: while a pointer is held down on the list, the list is not redrawn. A row is first drawn
// while it connects, without its bar and segment map; at its first progress they appear and push
// its buttons down, so a press that began on Pause ended on the text above it: the click went to
// the row and nothing paused. The latest list is drawn once the press has ended and its click
// has run. Keys are not held back: a key presses the focused button, which does not move.
//
// ONE source file, shared like rowkeys.js (paxel/panel/assets.py SHARED): `globalThis.paxelPressHold`.
"use strict";

(function (root) {
  /**
   * Hold the redraws of `areas` (elements) while a pointer is down on one of them, in window `win`.
   * `redraw()` draws the latest list. Returns `holding()`: a redraw asks it first, and when it
   * says true the redraw is skipped; `redraw` then runs once after the press.
   */
  function attach(win, areas, redraw) {
    let held = false;
    let missed = false;

    function end() {
      if (!held) return;
      held = false;
      if (missed) {
        missed = false;
        win.setTimeout(redraw); // after the click this release makes
      }
    }
    for (const area of areas) area.addEventListener("pointerdown", () => { held = true; });
    win.addEventListener("pointerup", end, true);
    win.addEventListener("pointercancel", end, true);
    // The release can go where the page does not see it (outside the window, into a <select>'s
    // own drop-down): a pointer that moves with no button down, a chosen option or the window
    // losing the focus end the press too, so the list never stays frozen.
    win.addEventListener("pointermove", (event) => { if (event.buttons === 0) end(); }, true);
    win.addEventListener("change", end, true);
    win.addEventListener("blur", (event) => { if (event.target === win) end(); });

    return function holding() {
      if (held) missed = true;
      return held;
    };
  }

  root.paxelPressHold = Object.freeze({ attach });
})(globalThis);
