// The upload page's Uppy: the plugins it uses (tus, or aws-s3 when originals live in S3) and the Polish strings, bundled by
// scripts/copy-vendor.mjs into gallery/static/vendor/uppy/uppy.esm.js (Uppy's packages import
// CommonJS modules and bare names, so they cannot load in the browser as they are).
export { default as Uppy } from "@uppy/core";
export { default as Dashboard } from "@uppy/dashboard";
export { default as Tus } from "@uppy/tus";
export { default as AwsS3 } from "@uppy/aws-s3";
export { default as GoldenRetriever } from "@uppy/golden-retriever";
export { default as pl_PL } from "@uppy/locales/lib/pl_PL.js";
