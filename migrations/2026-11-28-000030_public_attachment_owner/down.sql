DROP FUNCTION public_attachment_owner(text, uuid);
