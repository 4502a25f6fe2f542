CREATE TABLE `agent_authorisations` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`licence_id` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`agent_name` text NOT NULL,
	`id_number_masked` text NOT NULL,
	`matters_json` text NOT NULL,
	`agent_jwk` text NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`revocation_list_id` text NOT NULL,
	`revocation_index` integer NOT NULL,
	`issued_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`kid` text NOT NULL,
	`jws` text NOT NULL,
	`supersedes` text,
	`superseded_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_authorisations_revocation_slot` ON `agent_authorisations` (`revocation_list_id`,`revocation_index`);--> statement-breakpoint
CREATE INDEX `agent_authorisations_licence` ON `agent_authorisations` (`licence_id`,`id`);--> statement-breakpoint
CREATE INDEX `agent_authorisations_revoked_slot` ON `agent_authorisations` (`revocation_list_id`,`revocation_index`) WHERE "agent_authorisations"."status" = 'revoked';--> statement-breakpoint
CREATE TABLE `agent_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`licence_id` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`code_hash` text NOT NULL,
	`request_json` text NOT NULL,
	`status` text NOT NULL,
	`authorisation_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_invitations_code_hash_unique` ON `agent_invitations` (`code_hash`);--> statement-breakpoint
CREATE INDEX `agent_invitations_licence` ON `agent_invitations` (`licence_id`);--> statement-breakpoint
CREATE TABLE `bound_copies` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`device_id` text NOT NULL,
	`licence_id` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`revocation_list_id` text NOT NULL,
	`revocation_index` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`issued_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`kid` text NOT NULL,
	`jws` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bound_copies_revocation_slot` ON `bound_copies` (`revocation_list_id`,`revocation_index`);--> statement-breakpoint
CREATE INDEX `bound_copies_licence` ON `bound_copies` (`licence_id`,`device_id`);--> statement-breakpoint
CREATE INDEX `bound_copies_device` ON `bound_copies` (`authority_id`,`holder_credit_code`,`device_id`);--> statement-breakpoint
CREATE INDEX `bound_copies_revoked_slot` ON `bound_copies` (`revocation_list_id`,`revocation_index`) WHERE "bound_copies"."status" = 'revoked';--> statement-breakpoint
CREATE TABLE `holder_devices` (
	`authority_id` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`id` text NOT NULL,
	`public_jwk` text NOT NULL,
	`label` text,
	`status` text NOT NULL,
	`slot` integer NOT NULL,
	`created_at` integer NOT NULL,
	`removed_at` integer,
	PRIMARY KEY(`authority_id`, `holder_credit_code`, `id`),
	CONSTRAINT "holder_devices_slot_range" CHECK("holder_devices"."slot" between 1 and 5)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `holder_devices_active_slot` ON `holder_devices` (`authority_id`,`holder_credit_code`,`slot`) WHERE "holder_devices"."status" = 'active';