// A training worker process (host/proxies/trainingPool.ts starts it; not a command for users). Like bin/zeronas.js,
// it runs the TypeScript through tsx's loader, so a fresh `npm ci` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { serveTrainingRequests } = await import('../host/proxies/trainingWorker.ts');
serveTrainingRequests();
