PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_holder_slots` (
	`authority_id` text NOT NULL,
	`type` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`licence_id` text NOT NULL,
	`valid_until` integer,
	PRIMARY KEY(`authority_id`, `type`, `holder_credit_code`)
);
--> statement-breakpoint
INSERT INTO `__new_holder_slots`("authority_id", "type", "holder_credit_code", "licence_id", "valid_until") SELECT "authority_id", "type", "holder_credit_code", "licence_id", "valid_until" FROM `holder_slots`;--> statement-breakpoint
DROP TABLE `holder_slots`;--> statement-breakpoint
ALTER TABLE `__new_holder_slots` RENAME TO `holder_slots`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `holder_slots_licence` ON `holder_slots` (`licence_id`);--> statement-breakpoint
CREATE TABLE `__new_licences` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`type` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`holder_name` text,
	`status` text NOT NULL,
	`status_reason` text,
	`valid_from` integer NOT NULL,
	`valid_until` integer,
	`issued_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`kid` text NOT NULL,
	`jws` text NOT NULL,
	`revocation_list_id` text NOT NULL,
	`revocation_index` integer NOT NULL,
	`suspension_list_id` text NOT NULL,
	`suspension_index` integer NOT NULL,
	`supersedes` text,
	`superseded_by` text,
	`licence_identifier` text
);
--> statement-breakpoint
INSERT INTO `__new_licences`("id", "authority_id", "type", "holder_credit_code", "holder_name", "status", "status_reason", "valid_from", "valid_until", "issued_at", "updated_at", "kid", "jws", "revocation_list_id", "revocation_index", "suspension_list_id", "suspension_index", "supersedes", "superseded_by", "licence_identifier") SELECT "id", "authority_id", "type", "holder_credit_code", "holder_name", "status", "status_reason", "valid_from", "valid_until", "issued_at", "updated_at", "kid", "jws", "revocation_list_id", "revocation_index", "suspension_list_id", "suspension_index", "supersedes", "superseded_by", "licence_identifier" FROM `licences`;--> statement-breakpoint
DROP TABLE `licences`;--> statement-breakpoint
ALTER TABLE `__new_licences` RENAME TO `licences`;--> statement-breakpoint
CREATE UNIQUE INDEX `licences_identifier` ON `licences` (`licence_identifier`);--> statement-breakpoint
CREATE UNIQUE INDEX `licences_revocation_slot` ON `licences` (`revocation_list_id`,`revocation_index`);--> statement-breakpoint
CREATE UNIQUE INDEX `licences_suspension_slot` ON `licences` (`suspension_list_id`,`suspension_index`);--> statement-breakpoint
CREATE INDEX `licences_authority_id` ON `licences` (`authority_id`,`id`);--> statement-breakpoint
CREATE INDEX `licences_authority_holder` ON `licences` (`authority_id`,`holder_credit_code`,`id`);--> statement-breakpoint
CREATE INDEX `licences_revoked_slot` ON `licences` (`revocation_list_id`,`revocation_index`) WHERE "licences"."status" = 'revoked';--> statement-breakpoint
CREATE INDEX `licences_suspended_slot` ON `licences` (`suspension_list_id`,`suspension_index`) WHERE "licences"."status" = 'suspended';