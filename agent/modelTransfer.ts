/** The Node agent's model transfer: the shared one (session/modelTransfer.ts) hashing with node:crypto. */
import { sha256Of } from './modelCache.js';
import { ModelTransfer as SessionModelTransfer } from './session/modelTransfer.js';

export class ModelTransfer extends SessionModelTransfer {
  constructor(jobId: string, sha256: string, sizeBytes: number, maxModelBytes: number) {
    super(jobId, sha256, sizeBytes, maxModelBytes, sha256Of);
  }
}
