/**
 * Messages between the page and its measurement worker. The worker owns onnxruntime-web and runs measureModel();
 * the page owns the WebSocket and the UI. A dedicated worker can be terminated, which is how the page enforces a
 * job's timeout and abandons a job when it is cancelled or the page is hidden (the Node agent kills a child process
 * for the same reasons; HARDWARE.md §10).
 */
import type {
  ExecutionProviderProbe,
  InputSpec,
  Measurement,
  ResolvedMeasurementSettings,
  WireError,
} from '../../shared/protocol/messages.js';

export interface WorkerStart {
  /** onnxruntime-web ESM module as served by the host. */
  moduleUrl: string;
  threads: number;
}

export type WorkerRequest =
  | ({ type: 'probe' } & WorkerStart)
  | {
      type: 'measure';
      jobId: string;
      modelBytes: Uint8Array;
      model: { sha256: string; sizeBytes: number };
      inputs: InputSpec[];
      settings: ResolvedMeasurementSettings;
      device: Measurement['device'];
      runtimeSelection: string;
    };

export interface ProbeReport {
  ortVersion: string;
  threads: number;
  isCrossOriginIsolated: boolean;
  timerResolutionMs: number;
  probes: ExecutionProviderProbe[];
}

export type MeasureOutcome =
  | { status: 'ok'; measurement: Measurement }
  | { status: 'failed'; error: WireError }
  | { status: 'cancelled' };

export type WorkerReply =
  | { type: 'probed'; report: ProbeReport }
  | { type: 'probe-failed'; error: WireError }
  | { type: 'log'; line: string }
  | { type: 'outcome'; jobId: string; outcome: MeasureOutcome };
