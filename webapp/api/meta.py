"""``/api/csrf``: what a script with a browser-style session needs to write."""

from flask_restx import Namespace, Resource, fields
from flask_wtf.csrf import generate_csrf

ns = Namespace("session", path="/", description="Session helpers")

csrf_model = ns.model("CsrfToken", {"csrf_token": fields.String(required=True)})


@ns.route("/csrf")
class CsrfToken(Resource):
    kaap_public = True  # the login form's script needs one before anyone is logged in

    @ns.marshal_with(csrf_model)
    def get(self):
        """A CSRF token for this session, to send as the X-CSRFToken header on writes."""
        return {"csrf_token": generate_csrf()}
