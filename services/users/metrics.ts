import { defineMetrics } from "../../shared/metrics/defineMetrics.js";

/** The users service's business metrics (`emitMetric(usersMetrics, …)`), charted on its dashboard. */
export const usersMetrics = defineMetrics({
  SignUps: { unit: "Count", description: "accounts registered: the profile, the claim and the event committed" },
});
