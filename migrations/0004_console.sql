CREATE TABLE `licence_name_bigrams` (
	`authority_id` text NOT NULL,
	`bigram` text NOT NULL,
	`licence_id` text NOT NULL,
	PRIMARY KEY(`authority_id`, `bigram`, `licence_id`)
);
--> statement-breakpoint
CREATE TABLE `staff_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`login` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`authority_id` text NOT NULL,
	`licence_types` text,
	`password_hash` text NOT NULL,
	`must_change_password` integer NOT NULL,
	`failed_sign_ins` integer DEFAULT 0 NOT NULL,
	`last_failed_at` integer,
	`locked_at` integer,
	`totp_secret` text,
	`totp_last_step` integer,
	`disabled_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_accounts_login_unique` ON `staff_accounts` (`login`);--> statement-breakpoint
CREATE INDEX `staff_accounts_authority` ON `staff_accounts` (`authority_id`);--> statement-breakpoint
CREATE TABLE `staff_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`stage` text NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `staff_sessions_account` ON `staff_sessions` (`account_id`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `staff_id` text;