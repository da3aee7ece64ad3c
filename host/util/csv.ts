/** The CSV reader lives in shared/csv.ts (the agents read CSV tables too); host code keeps importing it from here. */
export { csvField, readCsv } from '../../shared/csv.js';
