#!/usr/bin/env node
// The `dispute` command. In a checkout it runs the TypeScript sources through tsx, so no build step
// is needed; in the production image, where tsx is not installed, it runs the compiled dist/.
let tsx = null;
try {
  tsx = import.meta.resolve('tsx/esm/api');
} catch {
  // a production install: no development dependencies
}
if (tsx) {
  const { register } = await import(tsx);
  register();
  await import('../client/cli/main.ts');
} else {
  await import('../dist/client/cli/main.js');
}
