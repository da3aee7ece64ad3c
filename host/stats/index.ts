export {
  averageRanks,
  bootstrapCorrelation,
  kendallTauB,
  pearson,
  quantile,
  spearman,
  type BootstrapInterval,
  type BootstrapOptions,
  type CorrelationStatistic,
} from './rank.js';
