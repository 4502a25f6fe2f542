DROP INDEX `bound_copies_binding`;--> statement-breakpoint
CREATE INDEX `bound_copies_licence` ON `bound_copies` (`licence_id`,`device_id`);