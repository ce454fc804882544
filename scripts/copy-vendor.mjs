#!/usr/bin/env node
// Copies the front-end libraries installed by `npm install` into
// gallery/static/vendor/ (gitignored), where the pages load them from.
//
// * PhotoSwipe 5 ships ES modules: copied as they are (minified builds), with its CSS.
// * justified-layout 4 ships CommonJS (lib/index.js requiring lib/row.js) and a
//   browserify bundle that assigns a global `require`.  Neither loads as an ES
//   module, so the two CommonJS files are wrapped, unchanged, in a small ES module
//   that provides `module`, `exports` and `require('./row')` and exports the
//   layout function as its default export.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "gallery", "static", "vendor");

function need(path) {
  if (!existsSync(path)) {
    console.error(`copy-vendor: ${path} is missing; run \`npm install\` first`);
    process.exit(1);
  }
  return path;
}

function version(name) {
  return JSON.parse(readFileSync(need(join(modules, name, "package.json")), "utf8")).version;
}

rmSync(vendor, { recursive: true, force: true });

// PhotoSwipe
const pswpSrc = join(modules, "photoswipe");
const pswpDst = join(vendor, "photoswipe");
mkdirSync(pswpDst, { recursive: true });
for (const [from, to] of [
  ["dist/photoswipe-lightbox.esm.min.js", "photoswipe-lightbox.esm.js"],
  ["dist/photoswipe.esm.min.js", "photoswipe.esm.js"],
  ["dist/photoswipe.css", "photoswipe.css"],
  ["LICENSE", "LICENSE"],
]) {
  copyFileSync(need(join(pswpSrc, from)), join(pswpDst, to));
}

// justified-layout
const jlSrc = join(modules, "justified-layout");
const jlDst = join(vendor, "justified-layout");
mkdirSync(jlDst, { recursive: true });
const rowJs = readFileSync(need(join(jlSrc, "lib", "row.js")), "utf8");
const indexJs = readFileSync(need(join(jlSrc, "lib", "index.js")), "utf8");
const wrapped = `// justified-layout ${version("justified-layout")} (see LICENSE), lib/row.js and lib/index.js
// wrapped unchanged as an ES module by scripts/copy-vendor.mjs.
const __modules = {};
function __define(name, factory) {
  __modules[name] = { factory, module: null };
}
function __require(name) {
  const entry = __modules[name];
  if (!entry) throw new Error("justified-layout: unknown module " + name);
  if (!entry.module) {
    entry.module = { exports: {} };
    entry.factory(entry.module, entry.module.exports, __require);
  }
  return entry.module.exports;
}
__define("./row", function (module, exports, require) {
${rowJs}
});
__define("./index", function (module, exports, require) {
${indexJs}
});
export default __require("./index");
`;
writeFileSync(join(jlDst, "justified-layout.esm.js"), wrapped);
copyFileSync(need(join(jlSrc, "LICENSE")), join(jlDst, "LICENSE"));

// Inter (variable, self-hosted: nothing is fetched from a font CDN). Only the upright
// weight axis, in the two subsets Polish and English need; gallery.css declares the
// @font-face rules with their unicode-range, so a page downloads only what it shows.
const interSrc = join(modules, "@fontsource-variable", "inter");
const interDst = join(vendor, "inter");
mkdirSync(interDst, { recursive: true });
for (const subset of ["latin", "latin-ext"]) {
  const file = `inter-${subset}-wght-normal.woff2`;
  copyFileSync(need(join(interSrc, "files", file)), join(interDst, file));
}
copyFileSync(need(join(interSrc, "LICENSE")), join(interDst, "LICENSE"));

// Uppy (the upload page): its packages import CommonJS modules and bare names, so they
// cannot load as ES modules as they are; esbuild bundles the plugins the page uses
// (scripts/uppy-entry.mjs) into one minified ES module, with the two style sheets beside it.
const uppyDst = join(vendor, "uppy");
mkdirSync(uppyDst, { recursive: true });
const esbuild = await import("esbuild");
await esbuild.build({
  entryPoints: [need(join(root, "scripts", "uppy-entry.mjs"))],
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  legalComments: "linked",
  outfile: join(uppyDst, "uppy.esm.js"),
  logLevel: "warning",
});
for (const [name, to] of [["core", "core.css"], ["dashboard", "dashboard.css"]]) {
  copyFileSync(need(join(modules, "@uppy", name, "dist", "style.min.css")), join(uppyDst, to));
}
copyFileSync(need(join(modules, "@uppy", "core", "LICENSE")), join(uppyDst, "LICENSE"));

writeFileSync(
  join(vendor, "VERSIONS.json"),
  JSON.stringify(
    {
      photoswipe: version("photoswipe"),
      "justified-layout": version("justified-layout"),
      "@fontsource-variable/inter": version("@fontsource-variable/inter"),
      "@uppy/core": version("@uppy/core"),
      "@uppy/dashboard": version("@uppy/dashboard"),
      "@uppy/tus": version("@uppy/tus"),
      "@uppy/aws-s3": version("@uppy/aws-s3"),
      "@uppy/golden-retriever": version("@uppy/golden-retriever"),
    },
    null,
    2,
  ) + "\n",
);
console.log(`copy-vendor: photoswipe ${version("photoswipe")}, justified-layout ${version("justified-layout")} -> gallery/static/vendor/`);
