ALTER TABLE "security_alert" DROP CONSTRAINT "security_alert_incident_id_incident_id_fk";
--> statement-breakpoint
ALTER TABLE "security_alert" ADD CONSTRAINT "security_alert_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE cascade ON UPDATE no action;