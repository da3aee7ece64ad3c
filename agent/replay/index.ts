/** The replay agent (`zeronas-agent --replay <csv>:<column>`): answers jobs from a published table, for benchmarks and tests only. */
export { createReplayAgent, defaultReplayName, type ReplayAgent, type ReplayConfig } from './replayAgent.js';
export { REPLAY_PROFILE_ID, REPLAY_RUNTIME, replayDescriptor, replayVersion } from './replayDevice.js';
export { buildReplayMeasurement, describeReplayAnswer, replayAnswer, type ReplayAnswer } from './replayMeasurement.js';
export { buildReplayNoise, drawReplayNoise, type NoiseDraw, type ReplayNoise } from './replayNoise.js';
export {
  REPLAY_KEY_COLUMN,
  decimalStep,
  loadReplayTable,
  parseReplaySpec,
  parseReplayTable,
  replayValue,
  type ReplayTable,
} from './replayTable.js';
