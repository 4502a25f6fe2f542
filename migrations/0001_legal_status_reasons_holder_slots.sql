CREATE TABLE `holder_slots` (
	`authority_id` text NOT NULL,
	`type` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`licence_id` text NOT NULL,
	`valid_until` integer NOT NULL,
	PRIMARY KEY(`authority_id`, `type`, `holder_credit_code`)
);
--> statement-breakpoint
CREATE INDEX `holder_slots_licence` ON `holder_slots` (`licence_id`);--> statement-breakpoint
ALTER TABLE `licence_types` ADD `unique_per_holder` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `status_lists` ADD `published_reasons_jws` text;