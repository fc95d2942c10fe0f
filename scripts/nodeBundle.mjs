// How our Node code is bundled, wherever it is (the language server, the GPU kit's benchmark and
// twin writer, `npm run bench`): one CommonJS file per entry point. node-llama-cpp stays a package,
// because it is ESM-only and loads its native binaries from its own package folder.
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["node-llama-cpp", "@node-llama-cpp/*"],
};
