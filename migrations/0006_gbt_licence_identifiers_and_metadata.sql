CREATE TABLE `licence_serials` (
	`authority_id` text NOT NULL,
	`type` text NOT NULL,
	`serial` integer NOT NULL,
	`licence_id` text NOT NULL,
	PRIMARY KEY(`authority_id`, `type`, `serial`)
);
--> statement-breakpoint
ALTER TABLE `authorities` ADD `credit_code` text;--> statement-breakpoint
CREATE UNIQUE INDEX `authorities_credit_code_unique` ON `authorities` (`credit_code`);--> statement-breakpoint
ALTER TABLE `licence_types` ADD `catalogue_code` text;--> statement-breakpoint
ALTER TABLE `licence_types` ADD `number_field` text;--> statement-breakpoint
ALTER TABLE `licence_types` ADD `holder_name_field` text;--> statement-breakpoint
CREATE UNIQUE INDEX `licence_types_catalogue_code_unique` ON `licence_types` (`catalogue_code`);--> statement-breakpoint
ALTER TABLE `licences` ADD `licence_identifier` text;--> statement-breakpoint
CREATE UNIQUE INDEX `licences_identifier` ON `licences` (`licence_identifier`);--> statement-breakpoint
ALTER TABLE `trust_registry` ADD `credit_code` text;