export { enqueueNotification, NOTIFICATION_EVENTS, type NotificationEvent } from './outbox.js';
export { deliverDue, deliveryCounts, type DeliveryStatus, webhookBody, type WebhookTarget, webhookTargets } from './webhooks.js';
