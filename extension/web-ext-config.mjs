// web-ext's settings for lint and build: ship only the extension, not the tooling around it.
export default {
  ignoreFiles: ["package.json", "package-lock.json", "web-ext-config.mjs", "build.sh", "web-ext-artifacts", "test"],
};
