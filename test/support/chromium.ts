/**
 * Debian's Chromium (.ci/run installs it) and the flags every browser test launches it with: headless,
 * no sandbox (CI runs as root), and nothing that reaches out to the network on its own.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
