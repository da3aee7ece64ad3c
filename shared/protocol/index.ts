export * from './version.js';
export * from './limits.js';
export * from './messages.js';
export * from './codec.js';
