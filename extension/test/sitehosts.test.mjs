// A site rule for a host written in its own script (bücher.example, *.пример.рф) was refused as
// "not a host name": the form and the service took only the ASCII (punycode) form, which no
// user types. Both now take either and store the ASCII form, which is what a URL's host is.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../lib/servicesettings.js";

const { fromForm, toForm } = globalThis.paxelServiceSettings;
const service = { max_concurrent: 3, default_connections: 8, duplicates: "rename", queues: {},
  schedule: { windows: [], speeds: [] }, folder_rules: { by_type: false, categories: {}, sites: [] } };

test("a site in its own script is taken and saved as its ASCII host", () => {
  for (const [typed, saved] of [["Bücher.example", "xn--bcher-kva.example"], ["*.пример.рф", "*.xn--e1afmkfd.xn--p1ai"],
    ["example.org", "example.org"]]) {
    const values = { ...toForm(service), sites: [{ host: typed, folder: "B" }] };
    const out = fromForm(values, service);
    assert.equal(out.errors, undefined, typed);
    assert.deepEqual(out.set.folder_rules.sites, [{ host: saved, folder: "B" }], typed);
  }
});

test("what is no host name stays refused", () => {
  for (const typed of ["a b", "exa_mple.org", "*.", "http://x.org", "x..org"]) {
    const values = { ...toForm(service), sites: [{ host: typed, folder: "B" }] };
    assert.deepEqual(fromForm(values, service).errors?.map((e) => e.field), ["sites.0.host"], typed);
  }
});
