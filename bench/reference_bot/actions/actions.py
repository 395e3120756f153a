"""The reference FAQ bot's one custom action: a fixed answer per intent (Rasa SDK 3.6)."""

from rasa_sdk import Action

ANSWERS = {
    "password_reset": "Reset your password: https://help.nimbus.example/en/articles/password-reset",
    "login_problems": "Can't log in or account locked: https://help.nimbus.example/en/articles/login-problems",
    "two_factor_codes": "Two-factor codes not arriving: https://help.nimbus.example/en/articles/two-factor-codes",
    "change_email": "Change the email address on your account: https://help.nimbus.example/en/articles/change-email",
    "phishing_report": "Report a suspicious or phishing email: https://help.nimbus.example/en/articles/phishing-report",
    "billing_invoices": "Download your invoices: https://help.nimbus.example/en/articles/billing-invoices",
    "payment_methods": "Update your card or payment method: https://help.nimbus.example/en/articles/payment-methods",
    "failed_payment": "My payment failed: https://help.nimbus.example/en/articles/failed-payment",
    "refund": "Refunds: https://help.nimbus.example/en/articles/refund",
    "invoice_company_details": "Company details and VAT number on invoices: https://help.nimbus.example/en/articles/invoice-company-details",
    "plans_pricing": "Plans and pricing: https://help.nimbus.example/en/articles/plans-pricing",
    "free_trial": "Free trial: https://help.nimbus.example/en/articles/free-trial",
    "upgrade_downgrade": "Upgrade or downgrade your plan: https://help.nimbus.example/en/articles/upgrade-downgrade",
    "cancel_subscription": "Cancel your subscription: https://help.nimbus.example/en/articles/cancel-subscription",
    "contract_terms": "Contract terms and minimum term: https://help.nimbus.example/en/articles/contract-terms",
    "outage_status": "Service outages and the status page: https://help.nimbus.example/en/articles/outage-status",
    "slow_internet": "Slow internet speed: https://help.nimbus.example/en/articles/slow-internet",
    "router_setup": "Set up your Nimbus router: https://help.nimbus.example/en/articles/router-setup",
    "wifi_password": "Change your Wi-Fi name or password: https://help.nimbus.example/en/articles/wifi-password",
    "wifi_range": "Weak Wi-Fi and dead zones: https://help.nimbus.example/en/articles/wifi-range",
    "moving_house": "Moving house: https://help.nimbus.example/en/articles/moving-house",
    "technician_appointment": "Book or change a technician appointment: https://help.nimbus.example/en/articles/technician-appointment",
    "data_export": "Export your data: https://help.nimbus.example/en/articles/data-export",
    "delete_account": "Delete your account and personal data: https://help.nimbus.example/en/articles/delete-account",
    "api_keys": "Create and manage API keys: https://help.nimbus.example/en/articles/api-keys",
    "team_members": "Invite team members: https://help.nimbus.example/en/articles/team-members",
    "storage_limits": "Storage limits: https://help.nimbus.example/en/articles/storage-limits",
    "mobile_app_sync": "Mobile app not syncing: https://help.nimbus.example/en/articles/mobile-app-sync",
    "contact_support": "Contact support and opening hours: https://help.nimbus.example/en/articles/contact-support",
    "nlu_fallback": "Sorry, I don't know that one yet. Could you rephrase it?",
}


class ActionAnswer(Action):
    def name(self):
        return "action_answer"

    def run(self, dispatcher, tracker, domain):
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(text=ANSWERS.get(intent, ANSWERS["nlu_fallback"]))
        return []
