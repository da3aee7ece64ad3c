export * from './contracts.js';
export * from './robustStats.js';
export * from './timingLoop.js';
export * from './inputData.js';
export * from './opProfile.js';
export * from './throttle.js';
export * from './measureModel.js';
