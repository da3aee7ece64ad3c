/** Debian's chromium for the browser tests (.ci/run installs it), and the flags every headless launch uses. */
export const CHROMIUM = process.env.ZERONAS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
