/** Rules over `monitoring`: thresholds within the bounds their alarms can have. */

import { ValidationRule, violation } from './rule';

/** Rules over `monitoring`. */
export const MONITORING_RULES: readonly ValidationRule[] = [
  {
    id: 'monitoring-thresholds',
    check: (s) => {
      const m = s.monitoring;
      return [
        ...(m.errorRatePercent > 0 && m.errorRatePercent <= 100 ? [] : [violation('monitoring.errorRatePercent', m.errorRatePercent, 'must be above 0 and at most 100')]),
        ...(m.baselineResponseMs > 0 ? [] : [violation('monitoring.baselineResponseMs', m.baselineResponseMs, 'must be positive')]),
        ...(m.responseTimeFactor > 1 ? [] : [violation('monitoring.responseTimeFactor', m.responseTimeFactor, 'must be above 1: the alarm fires above a multiple of the baseline')]),
        ...(m.replicationLagSeconds > 0 ? [] : [violation('monitoring.replicationLagSeconds', m.replicationLagSeconds, 'must be positive')]),
        ...(m.unavailableSeconds >= 60 && m.unavailableSeconds % 60 === 0
          ? []
          : [violation('monitoring.unavailableSeconds', m.unavailableSeconds, 'must be a whole number of minutes (CloudWatch evaluates load balancer health per minute)')]),
        ...(m.databaseCpuPercent > 0 && m.databaseCpuPercent < 100 ? [] : [violation('monitoring.databaseCpuPercent', m.databaseCpuPercent, 'must be from 1 to 99')]),
        ...(m.capacityTriggerPercent > 0 && m.capacityTriggerPercent <= 100
          ? []
          : [violation('monitoring.capacityTriggerPercent', m.capacityTriggerPercent, 'must be from 1 to 100')]),
        ...(Number.isInteger(m.metricsRetentionDays) && m.metricsRetentionDays >= 1 && m.metricsRetentionDays <= 1095
          ? []
          : [violation('monitoring.metricsRetentionDays', m.metricsRetentionDays, 'must be a whole number of days from 1 to 1095')]),
        ...(Number.isInteger(m.responseTargetMinutes) && m.responseTargetMinutes >= 1 && m.responseTargetMinutes <= 60
          ? []
          : [violation('monitoring.responseTargetMinutes', m.responseTargetMinutes, 'must be a whole number of minutes from 1 to 60')]),
        ...(m.databaseConnectionsPercent > 0 && m.databaseConnectionsPercent < 100
          ? []
          : [violation('monitoring.databaseConnectionsPercent', m.databaseConnectionsPercent, 'must be from 1 to 99: at 100 the database already refuses connections')]),
        ...(m.databaseFreeStoragePercent > 0 && m.databaseFreeStoragePercent < 10
          ? []
          : [
              violation(
                'monitoring.databaseFreeStoragePercent',
                m.databaseFreeStoragePercent,
                'must be above 0 and below 10: storage autoscaling grows an instance when less than 10% is free, and this alarm is for when it cannot',
              ),
            ]),
        ...(m.cacheMemoryPercent > 0 && m.cacheMemoryPercent < 100 ? [] : [violation('monitoring.cacheMemoryPercent', m.cacheMemoryPercent, 'must be from 1 to 99')]),
        ...(Number.isInteger(m.cacheEvictionsPerMinute) && m.cacheEvictionsPerMinute >= 0
          ? []
          : [violation('monitoring.cacheEvictionsPerMinute', m.cacheEvictionsPerMinute, 'must be a whole number, 0 or more')]),
        ...(m.kafkaDiskUsedPercent > 0 && m.kafkaDiskUsedPercent < 100
          ? []
          : [violation('monitoring.kafkaDiskUsedPercent', m.kafkaDiskUsedPercent, 'must be from 1 to 99: a broker with a full disk stops')]),
        ...(Number.isInteger(m.kafkaUnderReplicatedMinutes) && m.kafkaUnderReplicatedMinutes >= 1 && m.kafkaUnderReplicatedMinutes <= 60
          ? []
          : [violation('monitoring.kafkaUnderReplicatedMinutes', m.kafkaUnderReplicatedMinutes, 'must be a whole number of minutes from 1 to 60')]),
      ];
    },
  },
];
