"""permits: business-type catalogue, applications, licences."""
