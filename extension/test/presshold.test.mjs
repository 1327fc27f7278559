import { test } from "node:test";
import assert from "node:assert/strict";
import "../lib/presshold.js";

// The list is not redrawn under a held press (lib/presshold.js): real EventTargets stand for the
// window and the list; the browsers' own runs are tests/e2e/test_panel_press.py and the popup's.
const hold = globalThis.paxelPressHold;

function setup() {
  const win = new EventTarget();
  const timers = [];
  win.setTimeout = (fn) => timers.push(fn);
  const list = new EventTarget();
  let drawn = 0;
  const holding = hold.attach(win, [list], () => { drawn += 1; });
  const pointer = (target, type, buttons = 0) => {
    const event = new Event(type);
    event.buttons = buttons;
    target.dispatchEvent(event);
  };
  return { win, list, timers, holding, pointer, drawn: () => drawn };
}

test("no press: nothing is held", () => {
  const { holding, timers, pointer, win } = setup();
  assert.equal(holding(), false);
  pointer(win, "pointerup");
  assert.equal(timers.length, 0);
});

test("a press on the list holds redraws; the release draws once, after its click", () => {
  const { list, win, holding, timers, pointer, drawn } = setup();
  pointer(list, "pointerdown", 1);
  assert.equal(holding(), true);
  assert.equal(holding(), true);
  pointer(win, "pointermove", 1); // still held while it moves with the button down
  assert.equal(holding(), true);
  pointer(win, "pointerup");
  assert.equal(holding(), false);
  assert.equal(timers.length, 1); // one redraw, queued behind the click
  timers[0]();
  assert.equal(drawn(), 1);
});

test("a press with no redraw asked draws nothing after", () => {
  const { list, win, timers, pointer } = setup();
  pointer(list, "pointerdown", 1);
  pointer(win, "pointerup");
  assert.equal(timers.length, 0);
});

test("a release the page never sees ends the press too: no list stays frozen", () => {
  for (const end of [
    (t) => t.pointer(t.win, "pointercancel"),
    (t) => t.pointer(t.win, "pointermove", 0),
    (t) => t.win.dispatchEvent(new Event("change")),
    (t) => t.win.dispatchEvent(new Event("blur")),
  ]) {
    const t = setup();
    t.pointer(t.list, "pointerdown", 1);
    assert.equal(t.holding(), true);
    end(t);
    assert.equal(t.holding(), false);
    assert.equal(t.timers.length, 1);
  }
});
